#!/usr/bin/env node
// The `shardgrad` bin: a committed file, so package managers can link it before the build writes dist/.
import '../dist/main.js';
