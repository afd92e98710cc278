// Prints one field of the JSON document on stdin: `... | node scripts/json-field.mjs data.id`.
// Lets the README's shell walkthrough chain commands without requiring jq.
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  const doc = JSON.parse(input);
  const value = process.argv[2].split('.').reduce((v, k) => (v == null ? undefined : v[k]), doc);
  if (value === undefined) {
    console.error(`no field ${process.argv[2]} in ${input.slice(0, 500)}`);
    process.exit(1);
  }
  console.log(typeof value === 'string' ? value : JSON.stringify(value));
});
