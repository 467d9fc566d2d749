import ldap
from flask import request


def members():
    group = request.args["group"]
    conn = ldap.initialize("ldap://directory.internal")
    query = "(&(objectClass=groupOfNames)(cn=%s))" % group
    return conn.search_s("ou=groups,dc=corp", ldap.SCOPE_SUBTREE, query)
