import { parseJavaVersion } from './prerequisites';

describe('parseJavaVersion', () => {
  it.each([
    [
      'openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)',
      17,
    ],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_292"\nJava(TM) SE Runtime Environment', 8],
    ['openjdk version "11.0.2-ea" 2019-01-15', 11],
    ['Picked up JAVA_TOOL_OPTIONS: -Xss1m\nopenjdk version "17.0.1-internal" 2021-10-19', 17],
  ])('reads the feature release from %j', (output, major) => {
    expect(parseJavaVersion(output)).toBe(major);
  });

  it('gives undefined for output that is not java -version', () => {
    expect(parseJavaVersion('bash: java: command not found')).toBeUndefined();
  });
});
