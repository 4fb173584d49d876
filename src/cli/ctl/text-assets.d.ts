// Text imports (`with { type: 'text' }`) of WebAssembly text files used by `orrery init`.
declare module '*.wat' {
  const text: string;
  export default text;
}
