// The runtime probe: boots a built service, talks to it over its own transport and prints
// one JSON transcript on stdout. It runs inside the same sandbox as the service, so the
// service is reached on the sandbox's loopback. Usage: node probe.js PLAN.json < NONCE
// The nonce (read from stdin before the service starts, so the service cannot read it)
// prefixes the transcript line: output forged by the service is not taken for ours.
'use strict';
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');

const nonce = fs.readFileSync(0, 'utf8').trim();
const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const appRequire = require('module').createRequire(path.join(plan.appDir, 'probe.js'));
appRequire('reflect-metadata');
const { ClientTCP } = appRequire('@nestjs/microservices');
const { firstValueFrom, timeout } = appRequire('rxjs');

const MAX_OUTPUT = 64 * 1024;
const output = { stdout: '', stderr: '' };
let exited = null;

function keep(stream, chunk) {
  if (output[stream].length < MAX_OUTPUT) {
    output[stream] = (output[stream] + chunk.toString('utf8')).slice(0, MAX_OUTPUT);
  }
}

const child = spawn(process.execPath, plan.command, {
  cwd: plan.appDir,
  env: plan.env,
  stdio: ['ignore', 'pipe', 'pipe'],
});
fs.closeSync(0);
child.stdout.on('data', (chunk) => keep('stdout', chunk));
child.stderr.on('data', (chunk) => keep('stderr', chunk));
child.on('exit', (code, signal) => {
  exited = { code, signal };
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitListening(ports, deadline) {
  while (Date.now() < deadline && exited === null) {
    const open = await Promise.all(ports.map(canConnect));
    if (open.every(Boolean)) {
      return true;
    }
    await sleep(50);
  }
  return false;
}

function fill(step, replies) {
  const data = { ...step.data };
  for (const [key, [from, field]] of Object.entries(step.refs || {})) {
    const reply = replies[from];
    if (reply && typeof reply === 'object' && field in reply) {
      data[key] = reply[field];
    }
  }
  return data;
}

function describe(error) {
  if (error instanceof Error) {
    return { name: error.name, message: error.message };
  }
  return error === undefined ? null : error;
}

async function send(client, step, replies) {
  const data = fill(step, replies);
  const started = Date.now();
  const record = { name: step.name, pattern: step.pattern, data };
  try {
    if (step.kind === 'event') {
      await firstValueFrom(client.emit(step.pattern, data).pipe(timeout(plan.callTimeoutMs)), {
        defaultValue: null,
      });
      record.reply = null;
    } else {
      const reply = await firstValueFrom(
        client.send(step.pattern, data).pipe(timeout(plan.callTimeoutMs)),
        { defaultValue: null },
      );
      record.reply = reply === undefined ? null : reply;
      replies[step.name] = record.reply;
    }
  } catch (error) {
    record.timedOut = error instanceof Error && error.name === 'TimeoutError';
    record.error = describe(error);
  }
  record.ms = Date.now() - started;
  record.alive = exited === null;
  return record;
}

function getHealth(port) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/health', timeout: plan.callTimeoutMs }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode, body: body.slice(0, 4096) }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => resolve({ status: 0, body: '', error: error.message }));
  });
}

async function main() {
  const started = Date.now();
  const ports = plan.httpPort ? [plan.tcpPort, plan.httpPort] : [plan.tcpPort];
  const transcript = { listening: false, steps: [], http: null };
  transcript.listening = await waitListening(ports, started + plan.bootTimeoutMs);
  transcript.bootMs = Date.now() - started;
  if (transcript.listening) {
    const client = new ClientTCP({ host: '127.0.0.1', port: plan.tcpPort });
    const replies = {};
    for (const step of plan.steps) {
      transcript.steps.push(await send(client, step, replies));
      if (exited !== null) {
        break;
      }
    }
    if (plan.httpPort && exited === null) {
      transcript.http = await getHealth(plan.httpPort);
    }
    client.close();
  }
  await sleep(100); // the service's last log lines
  transcript.exited = exited;
  child.kill('SIGKILL');
  transcript.stdout = output.stdout;
  transcript.stderr = output.stderr;
  process.stdout.write(`${nonce} ${JSON.stringify(transcript)}\n`, () => process.exit(0));
}

main().catch((error) => {
  child.kill('SIGKILL');
  const failed = JSON.stringify({ probeError: String(error && error.stack) });
  process.stdout.write(`${nonce} ${failed}\n`, () => process.exit(0));
});
