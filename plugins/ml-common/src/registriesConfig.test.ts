import { MlConfigReader, readMlRegistries } from './registriesConfig';

// The shape of @backstage/config's ConfigReader that the reader uses.
function reader(data: Record<string, any>): MlConfigReader {
  const at = (key: string) =>
    key.split('.').reduce<any>((v, k) => (v === undefined ? v : v[k]), data);
  return {
    getOptionalConfigArray: key => at(key)?.map(reader),
    getString: key => {
      const v = at(key);
      if (typeof v !== 'string')
        throw new Error(`Missing required config value at '${key}'`);
      return v;
    },
    getOptionalString: key => at(key),
  };
}

describe('readMlRegistries', () => {
  it('reads every entry, without trailing slashes', () => {
    expect(
      readMlRegistries(
        reader({
          ml: {
            registries: [
              {
                name: 'models',
                type: 'oci',
                url: 'https://r.local/',
                token: 't',
              },
              { name: 'mlflow', type: 'mlflow', url: 'http://mlflow:5000' },
            ],
          },
        }),
      ),
    ).toEqual([
      expect.objectContaining({
        name: 'models',
        type: 'oci',
        url: 'https://r.local',
        token: 't',
      }),
      expect.objectContaining({ name: 'mlflow', url: 'http://mlflow:5000' }),
    ]);
  });

  it('is empty without ml.registries', () => {
    expect(readMlRegistries(reader({}))).toEqual([]);
  });

  it.each([
    [
      { name: 'r', type: 'docker', url: 'http://r' },
      'registry "r" has type "docker"; expected oci or mlflow',
    ],
    [
      { name: 'r', type: 'oci', url: 'ftp://r' },
      'ml.registries[0].url must be http(s), got ftp:',
    ],
    [
      { name: 'r', type: 'oci', url: 'not a url' },
      'ml.registries[0].url is not a URL',
    ],
    [
      { name: 'r', type: 'oci', url: 'https://u:p@r' },
      'must not carry credentials',
    ],
  ])('refuses %j', (entry, message) => {
    expect(() =>
      readMlRegistries(reader({ ml: { registries: [entry] } })),
    ).toThrow(message);
  });
});
