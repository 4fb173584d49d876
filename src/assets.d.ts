// Static assets imported as embedded files (Bun's `with { type: 'file' }`): the import is a path.
declare module 'swagger-ui-dist/*' {
  const path: string;
  export default path;
}
