// A small CPU-bound demo for `npx codecarbon monitor -- node examples/busy.js`: counts primes for ~3 s.
const until = Date.now() + 3000;
let primes = 0;
for (let n = 2; Date.now() < until; n++) {
  let prime = true;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
  if (prime) primes++;
}
console.log(`found ${primes} primes`);
