// A Node Socket.IO server joined to the Go servers through @socket.io/redis-adapter.
// Driven by cluster/nodeinterop_test.go over stdin/stdout (one JSON object a line).
//   env: REDIS_URL, ADAPTER_KEY, PORT
//   stdin commands: {"cmd":"emit","room":"r1","event":"e","data":...}
//                   {"cmd":"fetch","room":"r1"}  -> {"fetched":[ids]}
//                   {"cmd":"sse","event":"e","data":...}
//   stdout: {"ready":true}, {"client":"event","args":[...]} for events its own
//           client receives, {"sse":[...]} for server-side events it receives.
const { createServer } = require("http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");
const { io: connect } = require("socket.io-client");
const readline = require("readline");

const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

async function main() {
  const pub = createClient({ url: process.env.REDIS_URL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = createServer();
  const io = new Server(httpServer, {
    adapter: createAdapter(pub, sub, { key: process.env.ADAPTER_KEY }),
  });
  io.on("connection", (socket) => {
    for (const r of [].concat(socket.handshake.query.rooms || [])) socket.join(r);
  });
  io.on("note", (...args) => out({ sse: args }));
  await new Promise((r) => httpServer.listen(Number(process.env.PORT), "127.0.0.1", r));

  const client = connect(`http://127.0.0.1:${process.env.PORT}`, {
    transports: ["websocket"],
    query: { rooms: "r1" },
  });
  client.onAny((event, ...args) => out({ client: event, args }));
  await new Promise((r) => client.on("connect", r));

  readline.createInterface({ input: process.stdin }).on("line", async (line) => {
    const c = JSON.parse(line);
    if (c.cmd === "emit") io.to(c.room).emit(c.event, c.data);
    if (c.cmd === "sse") io.serverSideEmit(c.event, c.data);
    if (c.cmd === "fetch") {
      try {
        const sockets = await io.in(c.room).fetchSockets();
        out({ fetched: sockets.map((s) => s.id) });
      } catch (e) {
        out({ fetched: null, error: String(e) });
      }
    }
  });
  out({ ready: true, sid: client.id });
  process.stdin.on("end", () => process.exit(0));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
