from tests.factories import ProductFactory


def test_catalog_lists_a_published_product(client, ctx):
    ProductFactory(name="Beras Organik Pandan Wangi")
    response = client.get("/products?q=beras+organik")
    assert response.status_code == 200
    assert "Beras Organik Pandan Wangi" in response.get_data(as_text=True)
