import { ArmFake, ArmRoute } from './arm/armFake';

/** Resources - List By Resource Group, as in the Microsoft.Resources spec (resources.json) of this api-version. */
export const resourcesApiVersion = '2025-04-01';

/**
 * ARM's `GET /subscriptions/{s}/resourceGroups/{rg}/resources`: every resource the fake holds in the group, in pages of
 * `pageSize` with an absolute `nextLink` (`$skiptoken`), as GenericResourceExpanded (id, name, type, location, tags).
 * The reaper's inventory reads it to find Canopy-tagged resources the ledger does not know.
 */
export function resourceGroupResourcesRoute(fake: ArmFake, pageSize = 100): ArmRoute {
  return {
    method: 'GET',
    path: /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/resources$/,
    apiVersions: [resourcesApiVersion],
    handle: ({ match, query, resources }) => {
      const [, subscription, group] = match;
      const all = resources(`/subscriptions/${subscription}/resourcegroups/${group}/providers/`).map(({ resource }) => ({
        id: resource.id,
        name: resource.name,
        type: resource.type,
        location: resource.location,
        tags: resource.tags ?? {},
      }));
      const skip = Number(query.get('$skiptoken') ?? 0);
      const page = all.slice(skip, skip + pageSize);
      const more = skip + pageSize < all.length;
      const nextLink = `${fake.url}/subscriptions/${subscription}/resourceGroups/${group}/resources?api-version=${resourcesApiVersion}&$skiptoken=${skip + pageSize}`;
      return { status: 200, body: more ? { value: page, nextLink } : { value: page } };
    },
  };
}
