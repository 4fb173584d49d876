// Imports of the blueprint files `orrery init` writes: WebAssembly text (`with { type: 'text' }`)
// and modules (`with { type: 'file' }`: the path of the embedded file).
declare module '*.wat' {
  const text: string;
  export default text;
}

declare module '*.wasm' {
  const path: string;
  export default path;
}
