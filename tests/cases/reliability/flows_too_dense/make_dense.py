# Writes dense.csv: 12 accounts all paying each other 1,000.00 CNY, 20 times within six hours.
cols = "txn_id,booked_at,customer_id,customer_type,customer_name,account_id,direction,amount,currency,channel,cross_border," \
       "counterparty_id,counterparty_name,counterparty_account,counterparty_type,counterparty_country,exemption,purpose"
rows, n = [], 0
for k in range(20):
    for i in range(12):
        for j in range(12):
            if i != j:
                n += 1
                at = f"2026-03-02T{10 + k // 4:02d}:{(k * 30 + i * 2 + j) % 60:02d}:{(i * 12 + j) % 60:02d}+08:00"
                rows.append(f"D{n:06d},{at},C{i},person,N{i},A{i},out,1000.00,CNY,transfer,false,X,Y,A{j},person,CN,,")
open("dense.csv", "w").write(cols + "\n" + "\n".join(rows) + "\n")
