"""Product supermarket (产品超市): certified products, pilots, ratings, post-market reports; compute and data vouchers."""
