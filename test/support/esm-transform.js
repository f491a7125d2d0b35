// Jest loads modules as CommonJS; a few dependencies ship only ES modules (Node ≥ 20.19 can
// require() them, Jest cannot). This transform compiles those files to CommonJS for tests.
const ts = require('typescript');

module.exports = {
  process(source, filename) {
    const { outputText } = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        allowJs: true,
      },
    });
    return { code: outputText };
  },
};
