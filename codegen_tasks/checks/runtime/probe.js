// The runtime probe: boots a built service, talks to it over its own transport and prints
// one JSON transcript on stdout. It runs inside the same sandbox as the service, so the
// service is reached on the sandbox's loopback. Usage: node probe.js APP_DIR < NONCE PLAN
// The service's process (zygote.js) starts at once and loads the platform's NestJS while
// the sandbox waits for its work: stdin brings the nonce and the plan, and only then, with
// stdin read and closed, the service's own code runs (so it cannot read the nonce). The
// nonce prefixes the transcript line: output forged by the service is not taken for ours.
// The probe speaks NestJS's TCP framing through the framework's own JsonSocket, without
// loading the rest of NestJS a second time.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const appDir = process.argv[2];
const child = spawn(process.execPath, [path.join(__dirname, 'zygote.js')], {
  cwd: appDir,
  env: { PATH: process.env.PATH, NODE_ENV: 'production', NO_COLOR: '1' },
  stdio: ['pipe', 'pipe', 'pipe'],
});
child.stdin.on('error', () => undefined); // a zygote that died is judged by its exit
const [nonce, planText] = fs.readFileSync(0, 'utf8').split('\n');
fs.closeSync(0);
const plan = JSON.parse(planText);
child.stdin.end(JSON.stringify({ env: plan.env, main: plan.command[0] }));

const http = require('http');
const net = require('net');

const MAX_OUTPUT = 64 * 1024;
const POLL_MS = 10;
const CLOSE_WAIT_MS = 250;
const output = { stdout: '', stderr: '' };
let exited = null;
let wakeOnExit = () => undefined;
const closed = new Promise((resolve) => child.once('close', resolve));

function keep(stream, chunk) {
  if (output[stream].length < MAX_OUTPUT) {
    output[stream] = (output[stream] + chunk.toString('utf8')).slice(0, MAX_OUTPUT);
  }
}

child.stdout.on('data', (chunk) => keep('stdout', chunk));
child.stderr.on('data', (chunk) => keep('stderr', chunk));
child.on('exit', (code, signal) => {
  exited = { code, signal };
  wakeOnExit();
});

// A pause that ends early when the service exits.
function pause(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wakeOnExit = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

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
    await pause(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
  return false;
}

// A client of the service's TCP transport: requests `{pattern, data, id}`, answers
// `{id, response, err, isDisposed}`, events `{pattern, data}` (what ClientTCP sends).
class Client {
  constructor(port) {
    const appRequire = require('module').createRequire(path.join(appDir, 'probe.js'));
    const { JsonSocket } = appRequire('@nestjs/microservices/helpers/json-socket');
    this.pending = new Map();
    this.nextId = 0;
    this.socket = new JsonSocket(new net.Socket());
    this.ready = new Promise((resolve) => {
      this.socket.once('connect', () => resolve(null));
      this.socket.once('error', (error) => resolve(error));
    });
    this.socket.on('message', (answer) => this.answered(answer));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => this.fail({ name: 'Error', message: 'Connection closed' }));
    this.socket.connect(port, '127.0.0.1');
  }

  answered({ id, response, err }) {
    const call = this.pending.get(id);
    if (call === undefined) {
      return;
    }
    this.pending.delete(id);
    if (err) {
      call.reject(err);
    } else {
      call.resolve(response === undefined ? null : response);
    }
  }

  fail(error) {
    for (const call of this.pending.values()) {
      call.reject(error);
    }
    this.pending.clear();
  }

  async request(pattern, data) {
    const problem = await this.ready;
    if (problem) {
      throw problem;
    }
    const id = `probe-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.sendMessage({ pattern, data, id }, (error) => error && this.fail(error));
    });
  }

  async event(pattern, data) {
    const problem = await this.ready;
    if (problem) {
      throw problem;
    }
    return new Promise((resolve, reject) => {
      this.socket.sendMessage({ pattern, data }, (error) => (error ? reject(error) : resolve(null)));
    });
  }

  close() {
    this.socket.netSocket.destroy();
  }
}

function withTimeout(promise, ms) {
  let timer;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error('Timeout has occurred');
      error.name = 'TimeoutError';
      reject(error);
    }, ms);
  });
  return Promise.race([promise, timedOut]).finally(() => clearTimeout(timer));
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
      await withTimeout(client.event(step.pattern, data), plan.callTimeoutMs);
      record.reply = null;
    } else {
      const reply = await withTimeout(client.request(step.pattern, data), plan.callTimeoutMs);
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

// The verdict is known: the service is killed at once, and its output read to the end
// (its pipes close when it is gone; a process of its own holding them open is not waited
// for beyond CLOSE_WAIT_MS: the sandbox ends it with the probe).
async function stopService() {
  child.kill('SIGKILL');
  let timer;
  const bound = new Promise((resolve) => {
    timer = setTimeout(resolve, CLOSE_WAIT_MS);
  });
  await Promise.race([closed, bound]);
  clearTimeout(timer);
}

async function main() {
  const started = Date.now();
  const ports = plan.httpPort ? [plan.tcpPort, plan.httpPort] : [plan.tcpPort];
  const transcript = { listening: false, steps: [], http: null };
  transcript.listening = await waitListening(ports, started + plan.bootTimeoutMs);
  transcript.bootMs = Date.now() - started;
  if (transcript.listening) {
    const client = new Client(plan.tcpPort);
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
  transcript.exited = exited;
  await stopService();
  transcript.stdout = output.stdout;
  transcript.stderr = output.stderr;
  process.stdout.write(`${nonce} ${JSON.stringify(transcript)}\n`, () => process.exit(0));
}

main().catch((error) => {
  child.kill('SIGKILL');
  const failed = JSON.stringify({ probeError: String(error && error.stack) });
  process.stdout.write(`${nonce} ${failed}\n`, () => process.exit(0));
});
