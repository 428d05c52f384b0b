export const USERS = 'users';
export const FIND_USER = `${USERS}.find`;
export const CREATE_USER = `${USERS}.create`;
export class UserEvents {
  static readonly DELETED = 'users.deleted';
}
