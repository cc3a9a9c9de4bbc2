// A steer process that uploads a large file over ssh and is killed mid-way by the test
// (stale-uploads.test.ts). argv: PATH BYTES; the sshd comes from $STEER_TEST_SSHD.
import { sshTo } from '../connection/helpers.js';

const [path, bytes] = process.argv.slice(2) as [string, string];
const connection = sshTo(JSON.parse(process.env.STEER_TEST_SSHD!));
await connection.connect();
process.stdout.write('connected\n');
await connection.put(path, Buffer.alloc(Number(bytes), 0x61));
process.stdout.write('done\n');
await connection.close();
