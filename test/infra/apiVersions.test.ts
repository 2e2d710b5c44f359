import { allResources, mainTemplate } from './support/armTemplate';
import { publishedApiVersions } from './support/publishedApiVersions';

const key = (type: string, apiVersion: string) => `${type.toLowerCase()}@${apiVersion}`;

describe('resource types and api-versions', () => {
  const used = allResources(mainTemplate()).map((r) => key(r.type, r.apiVersion));
  const published = publishedApiVersions.map((p) => key(p.type, p.apiVersion));

  it('every resource uses a type and api-version that Azure publishes', () => {
    expect(used.filter((u) => !published.includes(u))).toEqual([]);
  });

  it('every published entry is still used, so the list says exactly what infra/ deploys', () => {
    expect(published.filter((p) => !used.includes(p))).toEqual([]);
  });

  it('every entry names a stable specification file for its own api-version', () => {
    for (const { apiVersion, spec } of publishedApiVersions) {
      expect(spec).toMatch(new RegExp(`^specification/[^/]+/resource-manager/[^/]+/stable/${apiVersion}/[^/]+\\.json$`));
    }
  });
});
