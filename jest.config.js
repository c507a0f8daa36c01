// Two projects: `unit` (pure cores, no services) and `integration` (real Kafka, MySQL, Chromium).
// Integration suites are named *.int.test.ts and find their services through test/services.ts.
const esmDeps = [
  'd3',
  'd3-[a-z-]+',
  'internmap',
  'delaunator',
  'robust-predicates',
  'lit',
  'lit-html',
  'lit-element',
  '@lit',
  '@lit-labs',
  'isbot',
];
const transform = {
  '^.+\\.(t|j|mj)sx?$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: false, useDefineForClassFields: false },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};
const common = {
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${esmDeps.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.kafka/'],
};
module.exports = {
  // testTimeout is global in jest (ignored per project): integration suites need minutes.
  testTimeout: 600000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.int\\.test\\.ts$'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/**/*.int.test.ts'] },
  ],
};
