// Child entry of the hot-loop benchmark: one measurement in a fresh process, as JSON on stdout.
import { slowdownOnce } from './hotloop.js';

process.stdout.write(JSON.stringify(await slowdownOnce()));
