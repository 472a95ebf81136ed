#!/usr/bin/env node
import { main } from './main.js';
import { installShutdown } from './shutdown.js';

const shutdown = installShutdown();
main(process.argv.slice(2), shutdown.io, shutdown.signal).then(shutdown.finish, shutdown.fail);
