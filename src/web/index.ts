export * from './web-app-with-ingress';
export * from './web-app-with-ingress-props';
export * from './network-peer';
