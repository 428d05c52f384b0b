// JSON Schemas of named types: node schemas.js <tools node_modules> <tsconfig> <name>...
// prints {"<name>": <schema>} (types inlined, no $ref), one object on stdout.
const path = require('path');
const TJS = require(path.join(process.argv[2], 'typescript-json-schema'));
const program = TJS.programFromConfig(process.argv[3]);
const generator = TJS.buildGenerator(program, { required: true, ignoreErrors: true, ref: false });
if (!generator) {
  throw new Error('typescript-json-schema could not build a generator');
}
const out = {};
for (const name of process.argv.slice(4)) {
  try {
    const schema = generator.getSchemaForSymbol(name, true, false);
    delete schema.$schema;
    out[name] = schema;
  } catch (error) {
    out[name] = null;
  }
}
process.stdout.write(JSON.stringify(out));
