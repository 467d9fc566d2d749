#include <stdio.h>
#include <sqlite3.h>

int remove_user(sqlite3 *db, const char *login)
{
    char sql[256];
    snprintf(sql, sizeof sql, "DELETE FROM users WHERE login = '%s';", login);
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}
