import { openGeoIp, UNKNOWN_COUNTRY, type GeoIp } from './geoip';

let geoip: GeoIp;
beforeAll(async () => {
  geoip = await openGeoIp();
});

describe('openGeoIp().country', () => {
  it.each([
    ['8.8.8.8', 'US'],
    ['2001:4860:4860::8888', 'US'],
    ['81.2.69.142', 'GB'],
    ['193.99.144.80', 'DE'],
    ['133.242.0.1', 'JP'],
    ['49.44.0.1', 'IN'],
    ['2a00:1450:4001::1', 'DE'],
    ['::ffff:8.8.8.8', 'US'],
  ])('%s is in %s', (ip, country) => {
    expect(geoip.country(ip)).toBe(country);
  });

  it.each([['10.0.0.1'], ['192.168.1.1'], ['172.16.5.4'], ['127.0.0.1'], ['::1'], ['fe80::1'], ['300.1.1.1'], ['not an ip'], ['']])(
    '%s is unknown (ZZ)',
    (ip) => {
      expect(geoip.country(ip)).toBe(UNKNOWN_COUNTRY);
    },
  );
});
