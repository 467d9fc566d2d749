use sqlx::PgPool;

pub async fn orders_for(pool: &PgPool, customer: &str) -> sqlx::Result<Vec<(i64, String)>> {
    let sql = format!(
        "SELECT id, status FROM orders WHERE customer = '{}' ORDER BY id",
        customer
    );
    sqlx::query_as(&sql).fetch_all(pool).await
}
