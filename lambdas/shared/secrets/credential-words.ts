/**
 * Words that mark a credential, in the languages the runbooks and the teams that run them
 * write in. A name or a sentence containing one of them is followed by a credential.
 */

/** "password" and its kin beyond English (the runbooks are Chinese: 密码, 口令). */
export const PASSWORD_WORDS = [
  // Chinese (simplified, traditional)
  '密码',
  '密碼',
  '口令',
  '密钥',
  '密鑰',
  '秘钥',
  '秘鑰',
  '令牌',
  '凭证',
  '憑證',
  // Japanese
  'パスワード',
  '暗証番号',
  '合言葉',
  // Korean
  '비밀번호',
  '패스워드',
  '암호',
  // German, Dutch, Nordic
  'passwort',
  'kennwort',
  'wachtwoord',
  'lösenord',
  'losenord',
  'passord',
  'adgangskode',
  'salasana',
  // Romance
  'mot de passe',
  'contraseña',
  'contrasena',
  'senha',
  'parola d\u2019ordine',
  'clave de acceso',
  // Slavic, Greek, Turkish, Hungarian
  'пароль',
  'пароля',
  'паролем',
  'hasło',
  'haslo',
  'heslo',
  'lozinka',
  'κωδικός',
  'şifre',
  'sifre',
  'parola',
  'jelszó',
  'jelszo',
  // Vietnamese, Indonesian, Thai, Arabic, Hebrew, Hindi
  'mật khẩu',
  'mat khau',
  'kata sandi',
  'katasandi',
  'รหัสผ่าน',
  'كلمة المرور',
  'كلمة السر',
  'סיסמה',
  'סיסמא',
  'पासवर्ड',
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Any of PASSWORD_WORDS, case-insensitively (longest first, so "пароля" wins over "пароль"). */
export const PASSWORD_WORD_SOURCE = [...PASSWORD_WORDS]
  .sort((a, b) => b.length - a.length)
  .map(escapeRegExp)
  .join('|');

const PASSWORD_WORD = new RegExp(PASSWORD_WORD_SOURCE, 'iu');

export function containsPasswordWord(text: string): boolean {
  return PASSWORD_WORD.test(text);
}
