/**
 * The example apps, synthesized into dist/ by `npm run synth`.
 */
import { FastApp } from '../src';
import { nightlyApp } from './nightly';
import { ordersApp } from './orders';
import { shopApp } from './shop';

const app = new FastApp();
shopApp(app);
nightlyApp(app);
ordersApp(app);
app.synth();
