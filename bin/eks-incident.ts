#!/usr/bin/env tsx
import { main } from '../local/cli/main';

// The embedded S3/SNS emulator loads node:sqlite, which Node 24 still flags as experimental on
// stderr; that line would sit in every command's output without telling the user anything.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)) return;
  process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

void main(process.argv).then((code) => {
  process.exitCode = code;
});
