export {
  declaredRoutes,
  documentedRoutes,
  mountedApiRoutes,
  type OpenApiDocument,
  openApiDocument,
  openApiDocumentInSlices,
} from './openapi.ts';
export {
  type Access,
  type AnyApiRoute,
  type ApiRoute,
  defineRoute,
  fieldIssues,
  type MediaType,
  type MountOptions,
  mountRoutes,
  routeKey,
  TextBody,
} from './route.ts';
export * as apiSchemas from './schemas.ts';
