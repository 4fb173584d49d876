// SQL migration files are imported as text (see scripts/embed-migrations.ts).
declare module '*.sql' {
  const text: string;
  export default text;
}

