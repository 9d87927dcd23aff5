// Strict command-line parsing for the peer servers: an unknown flag or a bad value is an error.
'use strict';

// spec: { '--name': { type: 'int'|'string'|'list'|'enum', def, min, values } }
function parseArgs(prog, argv, spec) {
  const out = {};
  for (const [flag, s] of Object.entries(spec)) out[key(flag)] = s.def;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const s = spec[flag];
    if (!s) die(prog, `unknown option ${flag} (known: ${Object.keys(spec).join(' ')})`);
    if (i + 1 >= argv.length) die(prog, `option ${flag} needs a value`);
    out[key(flag)] = value(prog, flag, s, argv[++i]);
  }
  return out;
}

function value(prog, flag, s, text) {
  switch (s.type) {
    case 'int': {
      if (!/^\d+$/.test(text)) die(prog, `option ${flag}: '${text}' is not a whole number`);
      const n = Number(text);
      if (s.min !== undefined && n < s.min) die(prog, `option ${flag}: ${n} is below ${s.min}`);
      if (s.max !== undefined && n > s.max) die(prog, `option ${flag}: ${n} is above ${s.max}`);
      return n;
    }
    case 'enum':
      if (!s.values.includes(text)) die(prog, `option ${flag}: '${text}' is not one of ${s.values.join(', ')}`);
      return text;
    case 'list': {
      const items = text.split(',').filter((x) => x.length > 0);
      if (items.length === 0) die(prog, `option ${flag}: empty list`);
      return items;
    }
    default:
      return text;
  }
}

const key = (flag) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());

function die(prog, msg) {
  process.stderr.write(`${prog}: ${msg}\n`);
  process.exit(2);
}

// require() of a pinned npm package, with the fix in the message when tests/peers/node_modules lacks it.
function need(name) {
  try {
    return require(name);
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    process.stderr.write(`npm package ${name} is not installed in tests/peers/node_modules: run ./ci/npm-deps\n`);
    process.exit(2);
  }
}

// The options every peer server takes (--port, --interval-ms, --fault NAME) and its own ones.
function serverOptions(prog, faults, own) {
  return parseArgs(prog, process.argv.slice(2), {
    '--port': { type: 'int', def: 5000, min: 0, max: 65535 },
    '--interval-ms': { type: 'int', def: 3000, min: 1 },
    ...own,
    '--fault': { type: 'enum', values: Object.keys(faults), def: null },
  });
}

// Prints the readiness line that run_against.py and the self-checks wait for; SIGTERM exits 0.
function announce(address, fault, faults) {
  if (fault) console.error(`fault ${fault}: ${faults[fault]}`);
  console.log(`listening on ${address.address}:${address.port}`);
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

module.exports = { parseArgs, die, need, serverOptions, announce };
