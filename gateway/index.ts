export { HomeGateway, type HomeGatewayOptions } from './home-gateway.ts';
