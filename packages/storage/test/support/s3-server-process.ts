// s3rver in a process of its own (`node --import tsx s3-server-process.ts PORT DIR`), so a fault
// test can kill it with SIGKILL mid-upload and start it again on the same port and folder.
// Prints "READY <endpoint>" once listening.
import { startS3Server } from './s3-server.js';

const [port, directory] = process.argv.slice(2);
if (port === undefined || directory === undefined) throw new Error('usage: s3-server-process.ts PORT DIR');
const server = await startS3Server({ port: Number(port), directory });
process.stdout.write(`READY ${server.endpoint}\n`);
