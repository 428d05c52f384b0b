// The service's process, started before its code exists: it loads the platform's NestJS
// packages (the part of a boot every service shares), then waits on stdin for the probe's
// go — `{env, main}` — and runs the service's entry as the main module with exactly that
// environment. Usage (by the probe): node zygote.js, cwd the app directory.
'use strict';
const fs = require('fs');
const path = require('path');
const Module = require('module');

const SHARED = ['reflect-metadata', '@nestjs/common', '@nestjs/core', '@nestjs/microservices', 'rxjs'];
const appRequire = Module.createRequire(path.join(process.cwd(), 'zygote.js'));
for (const name of SHARED) {
  try {
    appRequire(name);
  } catch {
    // not in this platform: the service loads what it needs itself
  }
}

const go = JSON.parse(fs.readFileSync(0, 'utf8'));
fs.closeSync(0);
for (const key of Object.keys(process.env)) {
  delete process.env[key];
}
Object.assign(process.env, go.env);
process.argv = [process.argv[0], path.resolve(process.cwd(), go.main)];
Module.runMain();
