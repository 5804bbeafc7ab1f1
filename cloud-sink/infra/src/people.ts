import { CfnOutput, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { DeployConfig } from './config';
import { waive } from './nag';

/** The Cognito groups a person is put in, each the API scope it grants (ADR 0197). `pact` is never a person's. */
export const PEOPLE_GROUPS = [
  { name: 'ops:read', description: 'Dashboard: line energy, orders, footprints, audit, ad-hoc calculation' },
  { name: 'ops:write', description: 'Reference data upload and stored calculations (give ops:read too)' },
  { name: 'admin', description: 'API clients, grants and gateway keys' },
] as const;

/** The claim of a Cognito access token that lists the person's groups. */
export const COGNITO_GROUPS_CLAIM = 'cognito:groups';

/**
 * People on the dashboard: an Amazon Cognito user pool (no self sign-up, MFA, strong passwords), its hosted sign-in
 * domain, one group per operator scope, and the dashboard's public app client (authorization code with PKCE, no
 * secret). The callback and sign-out URL is the dashboard's own address, `baseUrl` + `/`: the configured domain or
 * the distribution's name, a token the client depends on — the API function reads only the pool and client ids, so
 * nothing depends back on the client (ADR 0197).
 */
export class People extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  /** Environment of the API function: the pool as the OpenID Connect issuer, the client as the audience. */
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: { config: DeployConfig; baseUrl: string }) {
    super(scope, id);
    const { people, stackPrefix } = props.config;
    const plus = people.featurePlan === 'plus';
    const stack = Stack.of(this);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${stackPrefix}-people`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: people.mfa === 'required' ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: plus ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      ...(plus ? { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    waive(this.userPool, [
      ...(people.mfa === 'required'
        ? []
        : [
            {
              id: 'AwsSolutions-COG2',
              reason:
                'people.mfa is "optional" in this deployment’s config: each person may enrol a TOTP app; the default ("required") makes it mandatory.',
            },
          ]),
      ...(plus
        ? []
        : [
            {
              id: 'AwsSolutions-COG8',
              reason:
                'Threat protection (Plus tier) is billed per monthly active user; people are a handful of invited operators with MFA and no self sign-up. people.featurePlan "plus" turns it on.',
            },
          ]),
    ]);
    for (const g of PEOPLE_GROUPS)
      new cognito.CfnUserPoolGroup(this, `Group${g.name.replace(/[^A-Za-z]/g, '')}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: g.name,
        description: g.description,
      });

    const prefix = people.domainPrefix ?? Fn.join('-', [stackPrefix.toLowerCase(), 'people', stack.account]);
    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: prefix } });
    const dashboard = `${props.baseUrl}/`;
    this.client = this.userPool.addClient('Dashboard', {
      userPoolClientName: 'dashboard',
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [dashboard, ...people.extraCallbackUrls],
        logoutUrls: [dashboard, ...people.extraCallbackUrls],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // the API accepts at most one hour (ADR 0191); the dashboard keeps no refresh token (ADR 0198)
      accessTokenValidity: Duration.minutes(people.accessTokenMinutes),
      idTokenValidity: Duration.minutes(people.accessTokenMinutes),
      refreshTokenValidity: Duration.minutes(60),
    });
    this.environment = {
      // the `iss` of the pool's tokens, spelled out (ProviderURL's scheme is not documented)
      PCF_EDGE_OIDC_ISSUER: `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`,
      PCF_EDGE_OIDC_AUDIENCE: this.client.userPoolClientId,
      PCF_EDGE_OIDC_GROUPS_CLAIM: COGNITO_GROUPS_CLAIM,
    };

    new CfnOutput(this, 'SignInUrl', { value: dashboard, description: 'the dashboard: people sign in here' });
    new CfnOutput(this, 'UserPoolId', {
      value: this.userPool.userPoolId,
      description: 'people: create users and add them to groups (docs/deploy-cloud.md)',
    });
    new CfnOutput(this, 'HostedSignInBase', {
      value: this.domain.baseUrl(),
      description: 'Cognito hosted sign-in domain of the dashboard',
    });
  }
}
