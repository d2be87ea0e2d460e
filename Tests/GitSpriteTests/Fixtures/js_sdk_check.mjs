// The official JavaScript SDK (@fly/sprites) against sprite-host: create a sprite, read it,
// then exec at once (Node's fetch and WebSocket share one pool of keep-alive connections),
// list, run a command that fails, delete.
//
//   node js_sdk_check.mjs SDK_DIST_INDEX BASE_URL TOKEN
//
// Prints one line per step; exits 1 at the first step that fails.
const [index, baseURL, token] = process.argv.slice(2);
const { SpritesClient } = await import(index);
const client = new SpritesClient(token, { baseURL });
function check(ok, what) {
  console.log(`${ok ? 'ok' : 'FAILED'} ${what}`);
  if (!ok) process.exit(1);
}
for (let round = 1; round <= 5; round++) {
  const name = `js-sdk-${round}`;
  const created = await client.createSprite(name);
  check(created.name === name, `round ${round}: create`);
  const read = await client.getSprite(name);
  check(read.name === name, `round ${round}: get`);
  const { stdout } = await client.sprite(name).execFile('echo', ['hello', `from round ${round}`]);
  check(stdout === `hello from round ${round}\n`, `round ${round}: exec right after the get (${JSON.stringify(stdout)})`);
}
const all = await client.listAllSprites('js-sdk-');
check(all.length === 5, `list (${all.length})`);
let failed = null;
try {
  await client.sprite('js-sdk-1').execFile('sh', ['-c', 'echo oops >&2; exit 3']);
} catch (error) {
  failed = error;
}
check(failed && failed.exitCode === 3, `a failing command's status (${failed && failed.exitCode})`);
for (let round = 1; round <= 5; round++) await client.deleteSprite(`js-sdk-${round}`);
check((await client.listAllSprites('js-sdk-')).length === 0, 'delete');
