"""Auth behaviour: register (scrypt-hashed passwords), login (HMAC-signed token), verify."""

from __future__ import annotations

from codegen_tasks.generation.scaffold.contracts import (
    CONTRACTS,
    render_contract_types,
    request_name,
)
from codegen_tasks.generation.scaffold.naming import pascal
from codegen_tasks.generation.scaffold.source import (
    EXPECT_FIELD_HELPER,
    RPC_ERROR_HELPER,
    RPC_EXCEPTION,
    Handler,
    Part,
    fill,
)

_METHODS: dict[str, str] = {
    "register": """async register(dto: <<prefix>>RegisterDto): Promise<<<prefix>>Account> {
  const email = normalizeEmail(dto?.email);
  expectField(dto?.password, 'password', 'string', false);
  if (dto.password.length < 8) {
    throw rpcError(400, 'password must be at least 8 characters');
  }
  if (this.accounts.has(email)) {
    throw rpcError(409, 'email is already registered');
  }
  const salt = randomBytes(16);
  const hash = await deriveKey(dto.password, salt);
  const account: StoredAccount = {
    id: randomUUID(),
    email,
    salt: salt.toString('hex'),
    passwordHash: hash.toString('hex'),
    createdAt: new Date().toISOString(),
  };
  this.accounts.set(email, account);
  return { id: account.id, email: account.email, createdAt: account.createdAt };
}""",
    "login": """async login(dto: <<prefix>>LoginDto): Promise<<<prefix>>Token> {
  const email = normalizeEmail(dto?.email);
  expectField(dto?.password, 'password', 'string', false);
  const account = this.accounts.get(email);
  if (account === undefined || !(await passwordMatches(dto.password, account))) {
    throw rpcError(401, 'invalid email or password');
  }
  const exp = Math.floor(Date.now() / 1000) + TOKEN_TTL_SECONDS;
  const accessToken = this.sign({ sub: account.id, email: account.email, exp });
  return { accessToken, tokenType: 'Bearer', expiresIn: TOKEN_TTL_SECONDS };
}""",
    "verify": """async verify(dto: <<prefix>>VerifyDto): Promise<<<prefix>>Verification> {
  const claims = typeof dto?.token === 'string' ? this.claimsOf(dto.token) : undefined;
  if (claims === undefined || claims.exp * 1000 <= Date.now()) {
    return { valid: false };
  }
  const expiresAt = new Date(claims.exp * 1000).toISOString();
  return { valid: true, userId: claims.sub, email: claims.email, expiresAt };
}""",
    "sign": """private sign(claims: TokenClaims): string {
  const header = toBase64Url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = toBase64Url(JSON.stringify(claims));
  return `${header}.${body}.${this.signature(`${header}.${body}`)}`;
}""",
    "signature": """private signature(data: string): string {
  return createHmac('sha256', this.tokenSecret).update(data).digest('base64url');
}""",
    "claimsOf": """private claimsOf(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return undefined;
  }
  const [header, body, signature] = parts as [string, string, string];
  const expected = Buffer.from(this.signature(`${header}.${body}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return undefined;
  }
  try {
    const claims: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    return isClaims(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}""",
}

_HELPERS: dict[str, str] = {
    "ttl": "const TOKEN_TTL_SECONDS = Number(process.env.AUTH_TOKEN_TTL_SECONDS ?? 3600);",
    "account": """interface StoredAccount {
  id: string;
  email: string;
  salt: string;
  passwordHash: string;
  createdAt: string;
}""",
    "claims": """interface TokenClaims {
  sub: string;
  email: string;
  exp: number;
}""",
    "normalizeEmail": """function normalizeEmail(value: unknown): string {
  const email = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (!/^[^\\s@]+@[^\\s@]+$/.test(email)) {
    throw rpcError(400, 'email must be a valid e-mail address');
  }
  return email;
}""",
    "deriveKey": """function deriveKey(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 64, (error, key) => (error ? reject(error) : resolve(key)));
  });
}""",
    "passwordMatches": """async function passwordMatches(
  password: string,
  account: StoredAccount,
): Promise<boolean> {
  const actual = await deriveKey(password, Buffer.from(account.salt, 'hex'));
  return timingSafeEqual(actual, Buffer.from(account.passwordHash, 'hex'));
}""",
    "toBase64Url": """function toBase64Url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}""",
    "isClaims": """function isClaims(value: unknown): value is TokenClaims {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const claims = value as Record<string, unknown>;
  const { sub, email, exp } = claims;
  return typeof sub === 'string' && typeof email === 'string' && typeof exp === 'number';
}""",
}

# What each action needs: (helpers, private methods, members, node:crypto names).
_NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "register": (
        ("account", "normalizeEmail", "deriveKey"),
        (),
        ("accounts",),
        ("randomBytes", "randomUUID", "scrypt"),
    ),
    "login": (
        ("ttl", "account", "claims", "normalizeEmail", "deriveKey", "passwordMatches"),
        ("sign", "signature"),
        ("accounts", "secret"),
        ("createHmac", "randomBytes", "scrypt", "timingSafeEqual"),
    ),
    "verify": (
        ("claims", "isClaims"),
        ("claimsOf", "signature"),
        ("secret",),
        ("createHmac", "randomBytes", "timingSafeEqual"),
    ),
}
_MEMBERS = {
    "accounts": "private readonly accounts = new Map<string, StoredAccount>();",
    "secret": "// AUTH_TOKEN_SECRET signs tokens; without it a random per-process key is used.\n"
    "private readonly tokenSecret: Buffer = process.env.AUTH_TOKEN_SECRET\n"
    "  ? Buffer.from(process.env.AUTH_TOKEN_SECRET, 'utf8')\n"
    "  : randomBytes(32);",
}
_HELPER_ORDER = tuple(_HELPERS)
_METHOD_ORDER = ("sign", "signature", "claimsOf")


def auth_part(name: str, actions: list[str]) -> Part:
    prefix = pascal(name)
    helpers = {h for a in actions for h in _NEEDS[a][0]}
    privates = {m for a in actions for m in _NEEDS[a][1]}
    members = {m for a in actions for m in _NEEDS[a][2]}
    crypto = {c for a in actions for c in _NEEDS[a][3]}
    if "toBase64Url" not in helpers and "sign" in privates:
        helpers.add("toBase64Url")
    methods = [fill(_METHODS[a], prefix=prefix) for a in actions]
    methods += [_METHODS[m] for m in _METHOD_ORDER if m in privates]
    handlers = tuple(
        Handler(a, a, request_name(prefix, a, "Dto"), prefix + CONTRACTS[a].response_name)
        for a in actions
    )
    return Part(
        dto_file="auth.dto.ts",
        dto_source="\n\n".join(render_contract_types(prefix, actions, client=False)) + "\n",
        handlers=handlers,
        methods=tuple(methods),
        service_imports=frozenset({RPC_EXCEPTION, *(("node:crypto", c) for c in crypto)}),
        members=tuple(_MEMBERS[m] for m in ("accounts", "secret") if m in members),
        helpers=(
            RPC_ERROR_HELPER,
            EXPECT_FIELD_HELPER,
            *(_HELPERS[h] for h in _HELPER_ORDER if h in helpers),
        ),
    )
