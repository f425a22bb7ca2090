/** Bare aedes in a process of its own (the cluster section's relay peer): no auth, no storage. */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
const aedes = await Aedes.createBroker();
const server = createServer(aedes.handle);
server.listen(port, '127.0.0.1', () => console.log(`bare aedes listening on ${port}`));
const stop = () => aedes.close(() => server.close(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
