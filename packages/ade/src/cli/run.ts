import { main } from './main.js';

// Keep stdout EPIPE (e.g. `ade sql … | head`) from crashing the process.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});
process.exitCode = await main(process.argv);
