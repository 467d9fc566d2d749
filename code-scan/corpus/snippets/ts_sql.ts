import { Pool } from 'pg';

export async function deleteOrder(pool: Pool, orderId: string): Promise<void> {
  await pool.query(`DELETE FROM orders WHERE id = ${orderId}`);
}
