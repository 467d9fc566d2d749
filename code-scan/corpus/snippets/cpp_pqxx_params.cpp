#include <pqxx/pqxx>
#include <string>

pqxx::result orders_for(pqxx::work &txn, const std::string &customer)
{
    return txn.exec_params("SELECT id, total FROM orders WHERE customer = $1", customer);
}
