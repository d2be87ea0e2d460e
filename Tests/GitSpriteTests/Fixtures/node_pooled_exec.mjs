// What the official JavaScript SDK does on the wire, with Node's own fetch and WebSocket
// (one pool of keep-alive connections for both): create a sprite, read it, then exec over a
// WebSocket at once, which may go out on the connection the GET just used.
//
//   node node_pooled_exec.mjs BASE_URL TOKEN SPRITE
//
// Prints "created", "read", the command's output, then "exit <code>"; on a failed socket,
// "closed <code>" and exit status 1.
const [base, token, name] = process.argv.slice(2);
const auth = { Authorization: `Bearer ${token}` };

const created = await fetch(`${base}/v1/sprites`, {
  method: 'POST',
  headers: { ...auth, 'Content-Type': 'application/json' },
  body: JSON.stringify({ name }),
});
if (created.status !== 201) {
  console.log(`create failed: ${created.status} ${await created.text()}`);
  process.exit(1);
}
await created.json();
console.log('created');
const read = await fetch(`${base}/v1/sprites/${name}`, { headers: auth });
const sprite = await read.json();
console.log(sprite.name === name ? 'read' : `read failed: ${JSON.stringify(sprite)}`);

const url = `${base.replace(/^http/, 'ws')}/v1/sprites/${name}/exec?cmd=echo&cmd=hello-from-node&path=echo&stdin=false`;
const ws = new WebSocket(url, { headers: auth });
ws.binaryType = 'arraybuffer';
let output = '';
let exitCode = null;
ws.addEventListener('message', (event) => {
  if (typeof event.data === 'string') return;
  const data = Buffer.from(event.data);
  if (data[0] === 1) output += data.subarray(1).toString();
  if (data[0] === 3) {
    exitCode = data[1];
    ws.close(1000);
  }
});
ws.addEventListener('close', (event) => {
  if (exitCode === null) {
    console.log(`closed ${event.code}`);
    process.exit(1);
  }
  console.log(output.trim());
  console.log(`exit ${exitCode}`);
  process.exit(0);
});
setTimeout(() => {
  console.log('timed out');
  process.exit(1);
}, 20000);
