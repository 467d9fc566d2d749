async fn delete(pool: &sqlx::PgPool, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM items WHERE id = $1").bind(id).execute(pool).await?;
    Ok(())
}
