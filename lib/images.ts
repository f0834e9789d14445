/**
 * SPCS image paths (`/<db>/<schema>/<repository>/<image>[:tag]`, the form a job specification's
 * `image` takes): the repository an image lives in, and the images a synthesized stack runs. One
 * place for the rule, used by the constructs (grants), the bootstrap derivation and the local tools.
 */

/** The repository's `[database, schema, repository]` (upper-cased), or undefined when `image` is not such a path. */
export function repositoryPartsOfImage(image: string): [string, string, string] | undefined {
  const parts = image.split('/');
  if (parts.length < 5 || parts[0] !== '' || parts.slice(1, 5).some((p) => p.length === 0)) return undefined;
  return [parts[1].toUpperCase(), parts[2].toUpperCase(), parts[3].toUpperCase()];
}

/** The images the job specifications in `texts` name (`image: '...'` lines, as lib/sql/job-spec.ts renders them). */
export function imagesInSpecs(texts: Iterable<string>): string[] {
  const images = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(/^\s*image:\s*'([^']+)'/gm)) images.add(m[1]);
  return [...images].sort();
}
