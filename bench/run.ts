/** `npm run bench -- <name>…` runs the named benchmarks (all when none is named). Never part of the test suite. */
const BENCHMARKS: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  challenges: () => import('./challenges.js'),
  android: () => import('./android.js'),
  apple: () => import('./apple.js'),
  warden: () => import('./warden.js'),
  mdvm: () => import('./mdvm.js'),
  webauthn: () => import('./webauthn.js'),
  dsr: () => import('./dsr.js'),
  provisioning: () => import('./provisioning.js'),
  'decision-log': () => import('./decision-log.js'),
  console: () => import('./console.js'),
};

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
  process.exit(2);
}
for (const name of requested.length > 0 ? requested : Object.keys(BENCHMARKS)) {
  process.stdout.write(`== ${name}\n`);
  await (await BENCHMARKS[name]!()).run();
}
process.exit(0);
