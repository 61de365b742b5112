// A git server on 127.0.0.1 for tests (test/support/gitDaemon.ts starts it): listens on port 0,
// writes the port it got as its first line, and hands each connection to a `git daemon --inetd`
// of its own, as inetd would. A process apart from the tests', so that it keeps accepting while a
// test runs git synchronously against it. Its git processes stay in its process group: killing the
// group ends everything it started. When the test process goes (its end of stdin closes), however
// it went, the group goes too.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const baseDir = process.argv[2];
if (!baseDir) throw new Error('usage: gitDaemonServer.mjs <base directory>');

// Paused: the connection's bytes are for git, not for this process.
const server = createServer({ pauseOnConnect: true }, (connection) => {
  connection.on('error', () => {});
  const daemon = spawn(
    'git',
    [
      'daemon',
      '--inetd',
      `--base-path=${baseDir}`,
      '--export-all',
      '--enable=receive-pack',
      '--informative-errors',
      baseDir,
    ],
    { stdio: [connection, connection, 'ignore'] },
  );
  daemon.on('error', () => {});
  // git holds the connection now; this process lets go of its own descriptor of it.
  connection.destroy();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.stdin.on('end', () => process.kill(-process.pid, 'SIGKILL'));
process.stdin.resume();
