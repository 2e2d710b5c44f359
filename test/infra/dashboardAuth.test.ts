import { mainTemplate, only } from './support/armTemplate';

/** App Service Authentication in front of the dashboard (see the README's dashboard section for the choice). */
describe('dashboard sign-in (authsettingsV2)', () => {
  const template = mainTemplate();
  const auth = only(template, 'Microsoft.Web/sites/config') as ReturnType<typeof only> & { condition?: string };
  const properties = auth.properties as Record<string, Record<string, unknown>>;

  it("configures the Function App's own authentication, and only once an app registration is named", () => {
    expect(auth.name).toBe("[format('{0}/{1}', variables('functionAppName'), 'authsettingsV2')]");
    expect(auth.condition).toBe("[not(empty(parameters('dashboardClientId')))]");
    expect(properties.platform).toEqual({ enabled: true });
  });

  it('signs in with Entra ID of the chosen tenant, accepting tokens for this app registration only', () => {
    const entra = (properties.identityProviders as Record<string, Record<string, Record<string, unknown>>>).azureActiveDirectory;
    expect(entra.enabled).toBe(true);
    expect(entra.registration).toEqual({
      openIdIssuer: "[format('https://login.microsoftonline.com/{0}/v2.0', parameters('dashboardTenantId'))]",
      clientId: "[parameters('dashboardClientId')]",
    });
    expect(entra.validation.allowedAudiences).toEqual([
      "[parameters('dashboardClientId')]",
      "[format('api://{0}', parameters('dashboardClientId'))]",
    ]);
  });

  it('keeps no tokens or secrets, sends no one off-site after sign-in, and insists on HTTPS', () => {
    expect(properties.login).toMatchObject({ tokenStore: { enabled: false }, allowedExternalRedirectUrls: [] });
    expect(properties.httpSettings).toMatchObject({ requireHttps: true });
    expect(JSON.stringify(properties)).not.toMatch(/clientSecret/i);
  });

  it('lets the function-key API through the platform: the dashboard routes refuse the unauthenticated themselves', () => {
    expect(properties.globalValidation).toEqual({ requireAuthentication: false, unauthenticatedClientAction: 'AllowAnonymous' });
  });

  it('names the dashboard URL among the outputs', () => {
    expect((template as { outputs: Record<string, { value: string }> }).outputs.DASHBOARD_URL.value).toContain('/api/dashboard/');
  });
});
