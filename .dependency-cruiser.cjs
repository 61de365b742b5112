// The import rules of src/, checked by test/structure.test.ts (and `npx depcruise src`).
// Arrows point down only:
//   server, app (composition) -> routes, ui, http -> services -> auth, manifest -> planning -> domain
// with schemas (the API's zod shapes) beside them, built on domain alone.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules that import each other cannot be read, tested or moved one at a time.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-test-code-in-src',
      comment: 'The service never runs code of the tests, benchmarks or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'domain-stands-alone',
      comment: 'src/domain (names, errors) is the vocabulary every layer shares: it imports nothing.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'planning-is-pure',
      comment:
        'src/planning is snapshot + request -> plan: no git, fs, clock, logger, zod or HTTP; only the domain vocabulary.',
      severity: 'error',
      from: { path: '^src/planning/' },
      to: { pathNot: '^src/(planning|domain)/' },
    },
    {
      name: 'manifest-is-the-git-adapter',
      comment:
        'src/manifest reads and writes git for the services: it knows planning and the domain, nothing above.',
      severity: 'error',
      from: { path: '^src/manifest/' },
      to: { path: '^src/', pathNot: '^src/(manifest|planning|domain)/' },
    },
    {
      name: 'schemas-are-zod-over-the-domain',
      comment: 'src/schemas are the zod shapes of the API, built on the domain rules (names) alone.',
      severity: 'error',
      from: { path: '^src/schemas/' },
      to: { pathNot: ['^src/(schemas|domain)/', '^node_modules/zod/'] },
    },
    {
      name: 'auth-below-services',
      comment: 'src/auth (who calls, what they may do) is used by services and routes, and uses neither.',
      severity: 'error',
      from: { path: '^src/auth/' },
      to: { path: '^src/(services|routes|ui|http|manifest|cli)/|^src/(app|server|openapi|config)\\.ts$' },
    },
    {
      name: 'services-know-no-http',
      comment: 'src/services are called by routes; they know nothing of routes, HTTP or the composition.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: {
        path: [
          '^src/(routes|ui|http|cli)/',
          '^src/(app|server|openapi|config)\\.ts$',
          '^node_modules/(fastify|@fastify|fastify-type-provider-zod)/',
        ],
      },
    },
    {
      name: 'routes-call-services',
      comment: 'src/routes validate, call a service and map the result: they never reach the repository.',
      severity: 'error',
      from: { path: '^src/routes/' },
      to: { path: '^src/', pathNot: '^src/(routes|services|schemas|auth|http|domain)/' },
    },
    {
      name: 'ui-calls-services',
      comment:
        'src/ui (the web UI: pages, view models, templates) stands where the routes do: it calls services and never reaches the repository or the planner.',
      severity: 'error',
      from: { path: '^src/ui/' },
      to: { path: '^src/', pathNot: '^src/(ui|services|schemas|auth|http|domain)/' },
    },
    {
      name: 'http-is-machinery',
      comment:
        'src/http (errors, hooks, parsers of the Fastify instance) serves every route and calls no service.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(routes|ui|services|manifest|planning|cli)/|^src/(app|server|openapi)\\.ts$' },
    },
    {
      name: 'cli-is-a-client',
      comment: 'src/cli talks to a server over HTTP: it shares the API shapes, never the server code.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/', pathNot: '^src/(cli|schemas|domain)/' },
    },
    {
      name: 'no-orphans',
      comment: 'A module nothing imports is dead code (the entry points aside).',
      severity: 'error',
      from: { orphan: true, path: '^src/', pathNot: '^src/(server|openapi|cli/main)\\.ts$' },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: '^node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs'] },
  },
};
