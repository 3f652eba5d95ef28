#!/usr/bin/env tsx
import { main } from '../local/cli/main';

void main(process.argv).then((code) => {
  process.exitCode = code;
});
