/**
 * The example apps, synthesized into dist/ by `npm run synth`.
 */
import { App } from 'cdk8s';
import { nightlyApp } from './nightly';
import { ordersApp } from './orders';
import { shopApp } from './shop';

const app = new App();
shopApp(app);
nightlyApp(app);
ordersApp(app);
app.synth();
