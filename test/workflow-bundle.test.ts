import { readFileSync } from 'node:fs';

/**
 * The workflow bundle's modules are evaluated again for every new workflow (the SDK isolates them
 * per workflow). Building zod's schemas that way cost about 20 ms of every invoice's first task,
 * which its creating request waits for; the workflows import only zod-free modules at run time
 * (schemas reach them as types).
 */
describe('the workflow bundle', () => {
  test('when the workflows are bundled, then zod and the schema modules are not in the bundle', () => {
    const bundle = readFileSync(process.env.SETTLE_TEST_WORKFLOW_BUNDLE!, 'utf8');
    const modules = new Set([...bundle.matchAll(/"\.\/((?:node_modules\/)?[\w@-]+(?:\/[\w.@-]+)*)"/g)].map((m) => m[1]!));
    expect([...modules].filter((m) => m.startsWith('node_modules/zod/'))).toEqual([]);
    const domain = [...modules].filter((m) => m.startsWith('domain/'));
    expect(domain.length).toBeGreaterThan(0);
    for (const m of domain)
      expect({ module: m, importsZod: /from 'zod'/.test(readFileSync(m, 'utf8')) }).toEqual({ module: m, importsZod: false });
  });
});
