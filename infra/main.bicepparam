// azd reads only main.bicepparam or main.bicep: this file points it at the ARM template, so
// main.json stays the one source and nothing is compiled into it. Resources go to the resource
// group's region (azd creates the group in AZURE_LOCATION).
using './main.json'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'canopy')
param computeResourceGroupName = readEnvironmentVariable('CANOPY_COMPUTE_RESOURCE_GROUP', '')
param scorerImageTag = readEnvironmentVariable('CANOPY_SCORER_IMAGE_TAG', '0.1.0')
param dashboardClientId = readEnvironmentVariable('CANOPY_DASHBOARD_CLIENT_ID', '')
